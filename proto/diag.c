/*
 * diag.c - helpers that fill parse errors and warning lists.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"

void pc_perr_set(pc_perr_t *e, size_t pos, const char *fmt, ...)
{
    va_list ap;

    if (e == NULL)
        return;
    e->pos = pos;
    va_start(ap, fmt);
    vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
    va_end(ap);
}

void pc_warn_add(pc_warnings_t *w, const char *code, const char *fmt, ...)
{
    va_list ap;
    pc_warning_t *slot;

    if (w == NULL)
        return;
    if (w->n >= PC_WARN_MAX) {
        w->dropped++;
        return;
    }
    slot = &w->w[w->n++];
    slot->code = code;
    va_start(ap, fmt);
    vsnprintf(slot->text, sizeof(slot->text), fmt, ap);
    va_end(ap);
}

const char *pc_diag_show(char *buf, size_t cap, const char *s, size_t n)
{
    size_t o = 0, i;

    for (i = 0; i < n && o + 5 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
            buf[o++] = (char)ch;
        } else {
            snprintf(buf + o, cap - o, "\\x%02x", ch);
            o += 4;
        }
    }
    if (i < n && o + 4 <= cap) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}
