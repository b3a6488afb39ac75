/*
 * transport_mpi.h - the MPI transport behind transport.h: messages are
 * JSON text, tagged by what they are, between rank 0 and each worker rank.
 */
#ifndef SP_SCHED_TRANSPORT_MPI_H
#define SP_SCHED_TRANSPORT_MPI_H

#include "sched/transport.h"

sp_status sp_mpi_send(sp_worker *w, const json_t *msg, sp_error **err);
sp_status sp_mpi_recv(sp_worker *w, json_t **msg, sp_error **err);
int sp_mpi_poll(sp_workers *ws, const unsigned char *watch,
                unsigned char *ready, int timeout_ms, sp_error **err);

/* Tells every worker rank to stop, then finalizes MPI if we own it. */
void sp_mpi_stop(sp_workers *ws);

#endif
