/* utf8: length and checking of UTF-8 text. Request bodies are valid UTF-8
 * (Jansson checks them), so length limits count characters, as JSON
 * Schema's maxLength does. Text cut to fit a buffer, or taken from a URL,
 * may not be valid, and JSON built from it would be refused.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_UTF8_H
#define HPOD_UTF8_H

#include <stddef.h>

/* Characters in the n bytes of valid UTF-8 at s. */
size_t utf8_chars(const char *s, size_t n);

/* Replace every byte of s that is not part of a valid UTF-8 character
 * (a character cut short at the end, say) with '?'. */
void utf8_repair(char *s);

#endif
