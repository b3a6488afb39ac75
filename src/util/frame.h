/*
 * frame.h - length-prefixed messages over a stream socket: a 4-byte
 * big-endian length, then that many bytes (JSON text for us).
 */
#ifndef SP_UTIL_FRAME_H
#define SP_UTIL_FRAME_H

#include <jansson.h>
#include <stddef.h>

#include "smallpond.h"

#define SP_FRAME_MAX (256u << 20)

/* Sends obj as one frame. Never raises SIGPIPE. */
sp_status sp_frame_send_json(int fd, const json_t *obj, sp_error **err);

/* Receives one frame and parses it into *out (caller decrefs). Returns SP_OK;
 * SP_ENOENT on end of stream at a frame boundary (the peer closed); another
 * status, with err, on a broken or malformed stream. */
sp_status sp_frame_recv_json(int fd, json_t **out, sp_error **err);

#endif
