/*
 * transport_nompi.c - the MPI transport of a build without MPI
 * (-DSP_WITH_MPI=OFF): local mode only. Started under mpirun, every rank
 * would otherwise run the whole job as a driver of its own: sp_init fails
 * instead, saying why.
 */
#include "sched/transport_mpi.h"

#include "util/error.h"

#define NO_MPI "this smallpond was built without MPI (SP_WITH_MPI=OFF): " \
               "cluster mode needs a build with it"

int sp_mpi_available(void) { return 0; }

sp_status sp_mpi_start(int *rank, int *size, int *owned, sp_error **err)
{
  *rank = 0;
  *size = 1;
  *owned = 0;
  return sp_error_set(err, SP_EINVAL, "sp_init: started under mpirun, but "
                      NO_MPI);
}

int sp_mpi_serve(const sp_worker_opts *base, int owned)
{
  (void)base;
  (void)owned;
  return 1; /* unreachable: sp_mpi_start failed */
}

sp_status sp_workers_start_mpi(sp_workers *ws, const sp_worker_opts *opts,
                               sp_error **err)
{
  (void)ws;
  (void)opts;
  return sp_error_set(err, SP_EINVAL, NO_MPI);
}

sp_status sp_mpi_send(sp_worker *w, const json_t *msg, sp_error **err)
{
  (void)w;
  (void)msg;
  return sp_error_set(err, SP_EINTERNAL, NO_MPI);
}

sp_status sp_mpi_recv(sp_worker *w, json_t **msg, sp_error **err)
{
  (void)w;
  *msg = NULL;
  return sp_error_set(err, SP_EINTERNAL, NO_MPI);
}

int sp_mpi_poll(sp_workers *ws, const unsigned char *watch,
                unsigned char *ready, int timeout_ms, sp_error **err)
{
  (void)ws;
  (void)watch;
  (void)ready;
  (void)timeout_ms;
  sp_error_set(err, SP_EINTERNAL, NO_MPI);
  return -1;
}

void sp_mpi_stop(sp_workers *ws) { (void)ws; }
