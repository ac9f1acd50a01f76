/*
 * utf8.h - strict UTF-8 validation (no overlongs, surrogates or code points
 * above U+10FFFF), shared by name handling and the wire decoder.
 */
#ifndef PC_UTF8_H
#define PC_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * pc_utf8_valid - 1 if s[0..n) is valid UTF-8, else 0. If nonascii is not
 * NULL it is set to 1 when any octet is >= 0x80.
 */
int pc_utf8_valid(const uint8_t *s, size_t n, int *nonascii);

#endif
