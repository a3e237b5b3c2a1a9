/* mpi.c - sp_collective over MPI_Allreduce (sp/train_mpi.h). */
#include <limits.h>
#include <mpi.h>
#include <stdlib.h>

#include "sp/train_mpi.h"

int sp_mpi_launched(void) {
  static const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE",
                               "MPI_LOCALNRANKS"};
  for (size_t i = 0; i < sizeof vars / sizeof *vars; ++i)
    if (getenv(vars[i]))
      return 1;
  return 0;
}

/* MPI counts are ints: a buffer of more elements goes in pieces. */
static int allreduce(void *buf, size_t n, MPI_Datatype type, size_t elem_size) {
  char *p = buf;
  while (n) {
    int count = n > (size_t)INT_MAX ? INT_MAX : (int)n;
    if (MPI_Allreduce(MPI_IN_PLACE, p, count, type, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS)
      return -1;
    p += (size_t)count * elem_size, n -= (size_t)count;
  }
  return 0;
}

static int sum_f64(void *ctx, double *buf, size_t n) {
  (void)ctx;
  return allreduce(buf, n, MPI_DOUBLE, sizeof *buf);
}

static int sum_f32(void *ctx, float *buf, size_t n) {
  (void)ctx;
  return allreduce(buf, n, MPI_FLOAT, sizeof *buf);
}

int sp_mpi_start(int *argc, char ***argv, sp_collective *c, int *rank, int *size) {
  if (MPI_Init(argc, argv) != MPI_SUCCESS)
    return -1;
  MPI_Comm_rank(MPI_COMM_WORLD, rank);
  MPI_Comm_size(MPI_COMM_WORLD, size);
  *c = (sp_collective){NULL, sum_f64, sum_f32};
  return 0;
}

int sp_mpi_local_size(void) {
  MPI_Comm local;
  int n = 1;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local) ==
      MPI_SUCCESS) {
    MPI_Comm_size(local, &n);
    MPI_Comm_free(&local);
  }
  return n;
}

void sp_mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

void sp_mpi_finish(void) { MPI_Finalize(); }
