/* Runs every file of a corpus folder through one fuzz target's
 * LLVMFuzzerTestOneInput, as a plain program of the main (gcc) build.
 *
 * This puts the seeds and every crash reproducer kept in tests/fuzz/corpus
 * in the unit tier, so they also run under the ASan build and valgrind and
 * a fixed bug stays fixed without clang. A target signals a broken
 * property with abort(), which fails the test. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/testing.h"
#include "shared/core/macro.h"

/* The seeds are small examples; a bigger file is a mistake. */
#define REPLAY_FILE_MAX (1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The buffer is exactly the file's size so that ASan and valgrind see a
 * read past the end of the input. */
static int replay_file(int dirfd, const char *name)
{
    _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    _cleanup_free_ uint8_t *buf = NULL;
    struct stat st;
    size_t got = 0;

    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > REPLAY_FILE_MAX)
        return -1;
    buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
    if (!buf)
        return -1;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    LLVMFuzzerTestOneInput(buf, got);
    return 0;
}

int main(int argc, char **argv)
{
    DIR *dir;
    struct dirent *de;
    int files = 0;

    if (argc != 2)
        test_abort("usage: %s CORPUS-FOLDER", argv[0]);
    dir = opendir(argv[1]);
    if (!dir)
        test_abort("cannot open %s", argv[1]);
    while ((de = readdir(dir))) {
        if (de->d_name[0] == '.')
            continue;
        /* Named first: a broken property aborts inside the target. */
        printf("%s/%s\n", argv[1], de->d_name);
        fflush(stdout);
        if (!CHECK(replay_file(dirfd(dir), de->d_name) == 0))
            fprintf(stderr, "  cannot read %s/%s\n", argv[1], de->d_name);
        files++;
    }
    closedir(dir);
    printf("replayed %d inputs of %s\n", files, argv[1]);
    CHECK(files > 0);
    return test_finish();
}
