/*
 * sha256_test.c - SHA-256 against the FIPS 180-4 example vectors and Python's hashlib.
 */
#include "tests/support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/sha256.h"

static void
expect_hex(const void *data, size_t n, const char *want)
{
    char hex[SHA256_HEX_SIZE];
    sha256_hex(data, n, hex);
    assert_string_equal(hex, want);
}

static void
test_fips_vectors(void **state)
{
    (void)state;
    expect_hex("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect_hex("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    expect_hex(two, strlen(two),
               "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void
test_million_a_in_pieces(void **state)
{
    (void)state;
    /* FIPS 180-4's long vector, fed in uneven pieces to cross block boundaries. */
    char *a = xmalloc(1000000);
    memset(a, 'a', 1000000);
    struct sha256 c;
    uint8_t d[32];
    sha256_init(&c);
    for (size_t off = 0, piece = 1; off < 1000000; off += piece, piece = piece * 7 % 131 + 1)
        sha256_update(&c, a + off, off + piece > 1000000 ? 1000000 - off : piece);
    sha256_final(&c, d);
    char hex[SHA256_HEX_SIZE];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

static void
test_padding_edges(void **state)
{
    (void)state;
    /* 55, 56 and 64 bytes: the lengths where the padding needs one or two blocks
     * (expected values from python3 -c "import hashlib; hashlib.sha256(b'x'*n).hexdigest()"). */
    char x[64];
    memset(x, 'x', sizeof x);
    expect_hex(x, 55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072");
    expect_hex(x, 56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e");
    expect_hex(x, 64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fips_vectors),
        cmocka_unit_test(test_million_a_in_pieces),
        cmocka_unit_test(test_padding_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
