/* The option string tokenizer. */
#include <string.h>

#include "lib/testing.h"
#include "shared/msg/optstring.h"

static void test_parse(void)
{
    static const char *const list_keys[] = {"cpuset", NULL};
    _cleanup_(optstring_freep) struct optstring *o = NULL, *v = NULL, *n = NULL;
    char err[256] = "";

    CHECK_INT(optstring_parse("vnc,listen=0.0.0.0,password=abc=d", NULL, &o, err, sizeof(err)),
              0);
    if (o) {
        CHECK_STR(o->head, "vnc");
        CHECK_INT(o->n_items, 2);
        CHECK_STR(optstring_get(o, "listen"), "0.0.0.0");
        CHECK_STR(optstring_get(o, "password"), "abc=d"); /* only the first '=' splits */
        CHECK(optstring_get(o, "port") == NULL);
    }

    CHECK_INT(optstring_parse("2,cpuset=1-3,6,^2,maxvcpus=4", list_keys, &v, err, sizeof(err)),
              0);
    if (v) {
        CHECK_STR(v->head, "2");
        CHECK_STR(optstring_get(v, "cpuset"), "1-3,6,^2");
        CHECK_STR(optstring_get(v, "maxvcpus"), "4");
    }

    CHECK_INT(optstring_parse("type=bridge,source=br0", NULL, &n, err, sizeof(err)), 0);
    if (n)
        CHECK(n->head == NULL);
}

static void test_refusals(void)
{
    static const struct {
        const char *s, *want;
    } cases[] = {
        {"", "is empty"},
        {"a,,b=1", "empty"},
        {"a,b=1,", "empty"},
        {"a,=1", "has no name"},
        {"a,b=", "option \"b\" has no value"},
        {"a,b=1,c", "option \"c\" has no value"},
        {"a,b=1,b=2", "given twice"},
        {"a,b=has space", "space"},
        {"a,b=\"q\"", "quote"},
        {"a,b=1\n", "control"},
    };
    char big[OPTSTRING_MAX_LEN + 2];
    char many[OPTSTRING_MAX_ITEMS * 8 + 8] = "x";

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_(optstring_freep) struct optstring *o = NULL;
        char err[256] = "";

        CHECK_INT(optstring_parse(cases[i].s, NULL, &o, err, sizeof(err)), -EINVAL);
        CHECK(o == NULL);
        if (!CHECK(strstr(err, cases[i].want) != NULL))
            fprintf(stderr, "  \"%s\": %s\n", cases[i].s, err);
    }

    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    {
        _cleanup_(optstring_freep) struct optstring *o = NULL;
        char err[256] = "";

        CHECK_INT(optstring_parse(big, NULL, &o, err, sizeof(err)), -EINVAL);
        CHECK(strstr(err, "longer than") != NULL);
    }
    for (int i = 0; i <= OPTSTRING_MAX_ITEMS; i++) {
        size_t used = strlen(many);

        snprintf(many + used, sizeof(many) - used, ",k%d=1", i);
    }
    {
        _cleanup_(optstring_freep) struct optstring *o = NULL;
        char err[256] = "";

        CHECK_INT(optstring_parse(many, NULL, &o, err, sizeof(err)), -EINVAL);
        CHECK(strstr(err, "more than") != NULL);
    }
}

static void test_groups(void)
{
    char *g[OPTSTRING_MAX_GROUPS] = {0};
    char err[256] = "";
    int n;

    n = optstring_split_groups("/a,x=1 --disk /b,device=cdrom  --disk\t/c", "--disk", g, err,
                               sizeof(err));
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_STR(g[0], "/a,x=1");
        CHECK_STR(g[1], "/b,device=cdrom");
        CHECK_STR(g[2], "/c");
        optstring_groups_free(g, 3);
    }
    CHECK_INT(optstring_split_groups("/a --disk", "--disk", g, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "no value after it") != NULL);
    CHECK_INT(optstring_split_groups("--disk /a", "--disk", g, err, sizeof(err)), -EINVAL);
    CHECK_INT(optstring_split_groups("/a /b", "--disk", g, err, sizeof(err)), -EINVAL);
    CHECK_INT(optstring_split_groups("   ", "--disk", g, err, sizeof(err)), -EINVAL);
}

int main(void)
{
    test_parse();
    test_refusals();
    test_groups();
    return test_finish();
}
