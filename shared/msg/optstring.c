/* virt-install style option string tokenizer (see optstring.h). */
#include <stdio.h>
#include <string.h>

#include "shared/msg/optstring.h"

void optstring_free(struct optstring *opts)
{
    if (!opts)
        return;
    free(opts->head);
    for (size_t i = 0; i < opts->n_items; i++) {
        free(opts->items[i].key);
        free(opts->items[i].value);
    }
    free(opts);
}

const char *optstring_get(const struct optstring *opts, const char *key)
{
    for (size_t i = 0; i < opts->n_items; i++)
        if (strcmp(opts->items[i].key, key) == 0)
            return opts->items[i].value;
    return NULL;
}

static bool optstring_char_ok(unsigned char c)
{
    return c > ' ' && c < 0x7f && c != '"' && c != '\'' && c != '`' && c != '\\';
}

static bool optstring_is_list_key(const char *const *list_keys, const char *key)
{
    for (size_t i = 0; list_keys && list_keys[i]; i++)
        if (strcmp(list_keys[i], key) == 0)
            return true;
    return false;
}

/* Appends ",tok" to the value of the last item. */
static int optstring_extend_last(struct optstring *opts, const char *tok, size_t toklen)
{
    struct optstring_item *item = &opts->items[opts->n_items - 1];
    size_t old = strlen(item->value);
    char *v = realloc(item->value, old + toklen + 2);

    if (!v)
        return -ENOMEM;
    v[old] = ',';
    memcpy(v + old + 1, tok, toklen);
    v[old + 1 + toklen] = '\0';
    item->value = v;
    return 0;
}

static int optstring_add_pair(struct optstring *opts, const char *tok, size_t toklen,
                              const char *eq, char *err, size_t errlen)
{
    size_t keylen = (size_t)(eq - tok);
    struct optstring_item *item;

    if (keylen == 0) {
        snprintf(err, errlen, "option \"%.*s\" has no name", (int)(toklen > 64 ? 64 : toklen),
                 tok);
        return -EINVAL;
    }
    if (keylen > OPTSTRING_KEY_MAX) {
        snprintf(err, errlen, "an option name is longer than %d characters", OPTSTRING_KEY_MAX);
        return -EINVAL;
    }
    if (keylen + 1 == toklen) {
        snprintf(err, errlen, "option \"%.*s\" has no value", (int)keylen, tok);
        return -EINVAL;
    }
    if (opts->n_items >= OPTSTRING_MAX_ITEMS) {
        snprintf(err, errlen, "more than %d options", OPTSTRING_MAX_ITEMS);
        return -EINVAL;
    }
    for (size_t i = 0; i < opts->n_items; i++)
        if (strlen(opts->items[i].key) == keylen && memcmp(opts->items[i].key, tok, keylen) == 0) {
            snprintf(err, errlen, "option \"%.*s\" is given twice", (int)keylen, tok);
            return -EINVAL;
        }

    item = &opts->items[opts->n_items];
    item->key = strndup(tok, keylen);
    item->value = strndup(eq + 1, toklen - keylen - 1);
    if (!item->key || !item->value) {
        free(item->key);
        free(item->value);
        return -ENOMEM;
    }
    opts->n_items++;
    return 0;
}

static int optstring_add_token(struct optstring *opts, const char *tok, size_t toklen,
                               bool first, const char *const *list_keys, char *err,
                               size_t errlen)
{
    const char *eq = memchr(tok, '=', toklen);

    if (toklen == 0) {
        snprintf(err, errlen, "an option is empty (two commas in a row, or a comma at an end)");
        return -EINVAL;
    }
    if (eq)
        return optstring_add_pair(opts, tok, toklen, eq, err, errlen);
    if (first) {
        opts->head = strndup(tok, toklen);
        return opts->head ? 0 : -ENOMEM;
    }
    if (opts->n_items > 0 &&
        optstring_is_list_key(list_keys, opts->items[opts->n_items - 1].key))
        return optstring_extend_last(opts, tok, toklen);
    snprintf(err, errlen, "option \"%.*s\" has no value", (int)(toklen > 64 ? 64 : toklen), tok);
    return -EINVAL;
}

int optstring_parse(const char *s, const char *const *list_keys, struct optstring **ret_opts,
                    char *err, size_t errlen)
{
    _cleanup_(optstring_freep) struct optstring *opts = NULL;
    size_t len = strnlen(s, OPTSTRING_MAX_LEN + 1);
    const char *p = s;
    int r;

    if (len == 0) {
        snprintf(err, errlen, "is empty");
        return -EINVAL;
    }
    if (len > OPTSTRING_MAX_LEN) {
        snprintf(err, errlen, "is longer than %d bytes", OPTSTRING_MAX_LEN);
        return -EINVAL;
    }
    for (size_t i = 0; i < len; i++)
        if (!optstring_char_ok((unsigned char)s[i])) {
            snprintf(err, errlen, "holds a space, quote, backslash or control character at "
                     "offset %zu", i);
            return -EINVAL;
        }

    opts = calloc(1, sizeof(*opts));
    if (!opts)
        return -ENOMEM;
    for (bool first = true;; first = false) {
        const char *comma = strchr(p, ',');
        size_t toklen = comma ? (size_t)(comma - p) : strlen(p);

        r = optstring_add_token(opts, p, toklen, first, list_keys, err, errlen);
        if (r < 0)
            return r;
        if (!comma)
            break;
        p = comma + 1;
    }
    *ret_opts = TAKE_PTR(opts);
    return 0;
}

void optstring_groups_free(char **groups, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(groups[i]);
        groups[i] = NULL;
    }
}

static int optstring_next_word(const char **p, const char **ret_word, size_t *ret_len)
{
    const char *w = *p;

    while (*w == ' ' || *w == '\t')
        w++;
    if (*w == '\0')
        return 0;
    *ret_word = w;
    while (*w != '\0' && *w != ' ' && *w != '\t')
        w++;
    *ret_len = (size_t)(w - *ret_word);
    *p = w;
    return 1;
}

int optstring_split_groups(const char *s, const char *sep,
                           char *ret_groups[static OPTSTRING_MAX_GROUPS], char *err,
                           size_t errlen)
{
    char *groups[OPTSTRING_MAX_GROUPS] = {0};
    size_t n = 0, n_words = 0, seplen = strlen(sep);
    const char *p = s, *word;
    size_t wlen;

    if (strnlen(s, OPTSTRING_MAX_LEN * 4 + 1) > OPTSTRING_MAX_LEN * 4) {
        snprintf(err, errlen, "is longer than %d bytes", OPTSTRING_MAX_LEN * 4);
        return -EINVAL;
    }
    /* Words alternate: value, separator, value, ... */
    for (; optstring_next_word(&p, &word, &wlen); n_words++) {
        bool is_sep = wlen == seplen && memcmp(word, sep, seplen) == 0;

        if (n_words % 2 == 1) {
            if (!is_sep) {
                snprintf(err, errlen, "has \"%.*s\" where \"%s\" or the end was expected",
                         (int)(wlen > 64 ? 64 : wlen), word, sep);
                goto fail;
            }
            continue;
        }
        if (is_sep) {
            snprintf(err, errlen, "has \"%s\" where a value was expected", sep);
            goto fail;
        }
        if (n >= OPTSTRING_MAX_GROUPS) {
            snprintf(err, errlen, "has more than %d values", OPTSTRING_MAX_GROUPS);
            goto fail;
        }
        groups[n] = strndup(word, wlen);
        if (!groups[n]) {
            optstring_groups_free(groups, n);
            return -ENOMEM;
        }
        n++;
    }
    if (n_words == 0) {
        snprintf(err, errlen, "is empty");
        return -EINVAL;
    }
    if (n_words % 2 == 0) {
        snprintf(err, errlen, "ends with \"%s\" and no value after it", sep);
        goto fail;
    }
    memcpy(ret_groups, groups, sizeof(groups));
    return (int)n;

fail:
    optstring_groups_free(groups, n);
    return -EINVAL;
}
