/* lapack: prototypes of the Fortran BLAS and LAPACK routines the searchers
 * call from Debian's OpenBLAS (there is no LAPACKE). We declare them here
 * instead of including cblas.h, whose <sched.h> would resolve to the
 * server's own sched.h under -Iserver. Matrices are column-major; the
 * trailing size_t arguments are gfortran's hidden lengths of the character
 * arguments (pass 1), which the C implementations ignore.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_LAPACK_H
#define HPOD_LAPACK_H

#include <stddef.h>

double ddot_(const int *n, const double *x, const int *incx, const double *y, const int *incy);
void dtrsv_(const char *uplo, const char *trans, const char *diag, const int *n, const double *a,
            const int *lda, double *x, const int *incx, size_t uplo_len, size_t trans_len,
            size_t diag_len);
void dtrsm_(const char *side, const char *uplo, const char *transa, const char *diag, const int *m,
            const int *n, const double *alpha, const double *a, const int *lda, double *b,
            const int *ldb, size_t side_len, size_t uplo_len, size_t transa_len, size_t diag_len);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);
void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
            double *work, const int *lwork, int *info, size_t jobz_len, size_t uplo_len);

#endif
