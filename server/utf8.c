/* utf8: length and checking of UTF-8 text.
 * SPDX-License-Identifier: MIT */
#include "utf8.h"

static int is_continuation(unsigned char c) {
    return (c & 0xC0) == 0x80;
}

size_t utf8_chars(const char *s, size_t n) {
    size_t chars = 0;
    for (size_t i = 0; i < n; i++) chars += !is_continuation((unsigned char)s[i]);
    return chars;
}

/* Bytes of the valid character at s, or 0 when none starts there. The
 * second byte's range rules out overlong forms, surrogates and code
 * points past U+10FFFF (RFC 3629). */
static int char_len(const unsigned char *s) {
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    int n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (s[1] < lo || s[1] > hi) return 0;
    for (int i = 2; i < n; i++) {
        if (!is_continuation(s[i])) return 0;
    }
    return n;
}

void utf8_repair(char *s) {
    for (unsigned char *p = (unsigned char *)s; *p;) {
        int n = char_len(p);
        if (n) {
            p += n;
        } else {
            *p++ = '?';
        }
    }
}
