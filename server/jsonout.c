/* jsonout: Jansson prints reals with one fixed precision. 16 digits show
 * 0.4 as 0.4 where 17 show 0.40000000000000002, but 16 digits do not
 * always identify a double (a random searcher's 0.24085487861739519 would
 * read back one unit in the last place off). So the whole document is
 * printed at 17 digits only when one of its reals needs them.
 * SPDX-License-Identifier: MIT */
#include "jsonout.h"

#include <stdio.h>
#include <stdlib.h>

/* 1 when some real in j does not survive printing at 16 digits. */
static int needs_17_digits(const json_t *j) {
    if (json_is_real(j)) {
        double v = json_real_value(j);
        char text[40];
        snprintf(text, sizeof text, "%.16g", v);
        return strtod(text, NULL) != v;
    }
    size_t i;
    const char *key;
    const json_t *item;
    if (json_is_array(j)) {
        json_array_foreach(j, i, item) {
            if (needs_17_digits(item)) return 1;
        }
    } else if (json_is_object(j)) {
        /* The macro wants a non-const object; it only reads it. */
        json_object_foreach((json_t *)j, key, item) {
            if (needs_17_digits(item)) return 1;
        }
    }
    return 0;
}

char *jsonout_dumps(const json_t *j, size_t flags) {
    int digits = needs_17_digits(j) ? 17 : 16;
    return json_dumps(j, flags | JSON_REAL_PRECISION(digits));
}
