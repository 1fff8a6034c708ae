/*
 * strdist.h - edit distance between short strings, for "did you mean" hints.
 *
 * Registries (schedulers, samplers, subcommands) use it to suggest the closest known name when
 * the user mistypes one:
 *
 *     const char *hint = strdist_closest("karas", names, n);     -> "karras"
 *
 * Nothing is allocated that outlives a call; the functions keep no state.
 */
#ifndef FBW_UTIL_STRDIST_H
#define FBW_UTIL_STRDIST_H

#include <stddef.h>

/*
 * The Levenshtein distance between a and b: the least number of single-byte insertions,
 * deletions and substitutions that turn a into b.  Both must be non-NULL.  Byte-wise, case
 * sensitive; O(strlen(a) * strlen(b)) time.
 */
size_t strdist_levenshtein(const char *a, const char *b);

/*
 * The entry of names[0..n) nearest to name by strdist_levenshtein, the earliest on ties.
 * Returns a pointer into names (not a copy), or NULL when n == 0.  name and every entry must
 * be non-NULL.
 */
const char *strdist_closest(const char *name, const char *const *names, size_t n);

#endif
