/*
 * grammar_testutil.c - the field probe and the conformance vector
 * scaffolding of the record grammar tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grammar_testutil.h"

/* ---- the field visitor ---- */

int gt_probe_cb(void *arg, const char *name, const char *value, unsigned flags)
{
    gt_probe_t *p = arg;

    if (strcmp(name, p->name) == 0) {
        snprintf(p->value, sizeof(p->value), "%s", value);
        p->flags = flags;
        p->found = 1;
    }
    return 0;
}

const char *gt_field(gt_fields_fn fields, const void *rec, const char *name, gt_probe_t *p)
{
    memset(p, 0, sizeof(*p));
    p->name = name;
    assert_int_equal(fields(rec, gt_probe_cb, p), 0);
    assert_true(p->found);
    return p->value;
}

void gt_assert_field(gt_fields_fn fields, const void *rec, const char *name, const char *value,
                     unsigned flags)
{
    gt_probe_t *p = malloc(sizeof(*p));

    assert_non_null(p);
    assert_string_equal(gt_field(fields, rec, name, p), value);
    assert_int_equal(p->flags, flags);
    free(p);
}

int gt_order_cb(void *arg, const char *name, const char *value, unsigned flags)
{
    gt_order_t *p = arg;
    size_t o = strlen(p->names);

    (void)value;
    (void)flags;
    snprintf(p->names + o, sizeof(p->names) - o, "%s%s", o ? " " : "", name);
    if (++p->calls == p->stop_after)
        return p->stop_rc;
    return 0;
}

int gt_has_warning(const pc_warnings_t *w, const char *code)
{
    unsigned i;

    for (i = 0; i < w->n; i++)
        if (strcmp(w->w[i].code, code) == 0)
            return 1;
    return 0;
}

/* ---- conformance vectors ---- */

static uint32_t fnv1a(const char *s, size_t n)
{
    uint32_t h = 0x811c9dc5u;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x01000193u;
    }
    return h;
}

json_t *gt_vectors_load(const char *path, size_t ncases)
{
    json_error_t jerr;
    json_t *root;

    root = json_load_file(path, JSON_ALLOW_NUL, &jerr);
    if (root == NULL)
        fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
    assert_true(json_is_array(root));
    if (json_array_size(root) != ncases)
        fail_msg("%s has %zu cases, the table %zu: state our expectation for "
                 "each", path, json_array_size(root), ncases);
    return root;
}

void gt_vector_get(json_t *root, size_t i, const char *path, unsigned idx, size_t len,
                   uint32_t fnv, gt_vector_t *v)
{
    json_t *c = json_array_get(root, i);
    json_t *rec = json_object_get(c, "record");

    v->parsed = json_object_get(c, "parsed");
    v->src = json_string_value(json_object_get(c, "source_expect"));
    v->text = json_string_value(rec);
    v->len = json_string_length(rec);
    assert_non_null(v->text);
    assert_non_null(v->src);
    if (idx != i || len != v->len || fnv != fnv1a(v->text, v->len))
        fail_msg("case %zu changed in %s: no stated expectation", i, path);
}

void gt_judge(gt_tally_t *t, size_t i, const char *what, const char *src, int src_ok,
              int ours_ok, const char *differs, const char *verb, const char *ours)
{
    if (src_ok == ours_ok) {
        t->agree++;
        if (differs != NULL)
            fail_msg("case %zu agrees with the source but states a "
                     "difference", i);
    } else if (differs != NULL) {
        t->differ++;
    } else {
        t->unexpected++;
        printf("case %zu (%s): source says '%s', we %s %s, no reason "
               "stated\n", i, what, src, verb, ours);
    }
}

void gt_parsed_text(const char *key, json_t *v, char *buf, size_t cap)
{
    const char *sep = (strcmp(key, "rua") == 0 || strcmp(key, "ruf") == 0)
                      ? "," : ":";
    size_t o = 0, i;
    json_t *el;

    buf[0] = '\0';
    if (json_is_string(v)) {
        snprintf(buf, cap, "%s", json_string_value(v));
    } else if (json_is_integer(v)) {
        snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, el) {
            int w = snprintf(buf + o, cap - o, "%s%s", i ? sep : "",
                             json_is_string(el) ? json_string_value(el) : "?");
            if (w < 0 || (size_t)w >= cap - o)
                break;
            o += (size_t)w;
        }
    }
}

void gt_report(const char *label, json_t *root, const gt_tally_t *t, const char *note)
{
    printf("%s vectors: %zu cases, %u agree with source, %u differ "
           "(reasoned), %u unexpected; %u parsed fields compared, %u "
           "differ%s\n", label, json_array_size(root), t->agree, t->differ,
           t->unexpected, t->compared, t->fdiff, note);
}

int gt_run_groups(const char *name, const struct CMUnitTest *tests, size_t ntests,
                  const struct CMUnitTest *vectors, size_t nvectors)
{
    char vname[64];
    int failed;

    failed = _cmocka_run_group_tests(name, tests, ntests, NULL, NULL);
    if (failed != 0)
        return failed;
    snprintf(vname, sizeof(vname), "%s vectors", name);
    return _cmocka_run_group_tests(vname, vectors, nvectors, NULL, NULL);
}
