/* sp/train_mpi.h - data-parallel training over MPI (lib/train/mpi.c, built
 * when CMake finds MPI; SP_HAVE_MPI is then defined for its users).
 *
 * sp-train under `mpirun -np N` joins the ranks with sp_mpi_start; the
 * trainer and runtime see only an sp_collective (sp/runtime.h), so neither
 * links MPI. */
#ifndef SP_TRAIN_MPI_H
#define SP_TRAIN_MPI_H

#include "sp/runtime.h"

/* Whether this process was started by an MPI launcher (mpirun, srun with
 * PMI): the environment names a world size. */
int sp_mpi_launched(void);
/* MPI_Init, then *c sums over MPI_COMM_WORLD (MPI_Allreduce); rank and size
 * of this process. Returns 0, or non-zero when MPI cannot start. */
int sp_mpi_start(int *argc, char ***argv, sp_collective *c, int *rank, int *size);
/* Ranks on this host (for a default thread count that does not
 * oversubscribe the cores). */
int sp_mpi_local_size(void);
/* Stops every rank: after an error on one, the others would wait forever
 * in the next sum. */
void sp_mpi_abort(int code);
void sp_mpi_finish(void);

#endif
