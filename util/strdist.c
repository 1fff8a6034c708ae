/*
 * strdist.c - Levenshtein distance and nearest-name lookup.
 *
 * Concept: the classic dynamic programme over prefixes, keeping one row of the table
 * (row[j] = distance between the first i bytes of a and the first j bytes of b).  Inputs are
 * command-line words and registry names (tens of bytes), so the O(|a||b|) cost is nothing; the
 * row is heap-allocated so that no length limit exists.  No state survives a call.
 */
#include "util/strdist.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"

static size_t
strdist_min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

size_t
strdist_levenshtein(const char *a, const char *b)
{
    CHECK(a != NULL && b != NULL);
    size_t la = strlen(a);
    size_t lb = strlen(b);
    size_t *row = xmalloc((lb + 1) * sizeof *row);
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];       /* distance(a[0..i-1), b[0..j-1)) */
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            row[j] = strdist_min3(up + 1, row[j - 1] + 1, diag + cost);
            diag = up;
        }
    }
    size_t d = row[lb];
    free(row);
    return d;
}

const char *
strdist_closest(const char *name, const char *const *names, size_t n)
{
    CHECK(name != NULL && (names != NULL || n == 0));
    const char *best = NULL;
    size_t best_dist = 0;
    for (size_t i = 0; i < n; i++) {
        size_t d = strdist_levenshtein(name, names[i]);
        if (best == NULL || d < best_dist) {
            best = names[i];
            best_dist = d;
        }
    }
    return best;
}
