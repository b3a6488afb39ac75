/*
 * remote.h - which input paths are URLs that DuckDB reads, not files here.
 *
 * A path is remote when it starts with one of the URL schemes DuckDB hands
 * to an extension's file system: s3://, s3a://, s3n://, r2://, gs://,
 * gcs://, hf://, http:// and https:// (httpfs), az://, azure:// and
 * abfss:// (azure). The rule is DuckDB's own: a prefix, lower case, "://"
 * included, so "S3://x", "s3:/x" and "./a:b/x.parquet" are local paths.
 * Remote paths are never stat'ed, globbed by glob(3) or made absolute:
 * DuckDB lists and reads them (duck/files.h).
 */
#ifndef SP_IO_REMOTE_H
#define SP_IO_REMOTE_H

/* 1 if path is remote. */
int sp_path_is_remote(const char *path);

/* The DuckDB extension that reads a remote path ("httpfs", "azure"), or
 * NULL for a local one. Static. */
const char *sp_remote_extension(const char *path);

/* 1 if the remote path's store can list files, so that * ? [ in it are a
 * pattern; 0 for http(s), where they are part of the URL ("?" starts its
 * query) and the path names one file. */
int sp_remote_lists(const char *path);

#endif
