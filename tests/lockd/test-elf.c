/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lockd/elfinfo.h"
#include "lockd/libpath.h"
#include "tmptree.h"

/* A small but complete ELF64 image: PT_LOAD of everything, PT_DYNAMIC, PT_INTERP. */
static unsigned char img[4096];

static void build_image(void)
{
        Elf64_Ehdr *h = (Elf64_Ehdr *)img;
        Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(Elf64_Ehdr));
        Elf64_Dyn *dyn = (Elf64_Dyn *)(img + 1024);
        static const char strtab[] = "\0libfoo.so.1\0$ORIGIN/../lib\0libbar.so\0";
        static const char interp[] = "/lib64/ld-linux-x86-64.so.2";

        memset(img, 0, sizeof(img));
        memcpy(h->e_ident, ELFMAG, SELFMAG);
        h->e_ident[EI_CLASS] = ELFCLASS64;
        h->e_ident[EI_DATA] = ELFDATA2LSB;
        h->e_ident[EI_VERSION] = EV_CURRENT;
        h->e_type = ET_DYN;
        h->e_machine = EM_X86_64;
        h->e_phoff = sizeof(Elf64_Ehdr);
        h->e_phentsize = sizeof(Elf64_Phdr);
        h->e_phnum = 3;
        ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0, .p_vaddr = 0x10000, .p_filesz = sizeof(img) };
        ph[1] = (Elf64_Phdr){ .p_type = PT_DYNAMIC, .p_offset = 1024, .p_vaddr = 0x10000 + 1024, .p_filesz = 5 * sizeof(Elf64_Dyn) };
        ph[2] = (Elf64_Phdr){ .p_type = PT_INTERP, .p_offset = 2048, .p_vaddr = 0x10000 + 2048, .p_filesz = sizeof(interp) };
        dyn[0] = (Elf64_Dyn){ .d_tag = DT_NEEDED, .d_un.d_val = 1 };
        dyn[1] = (Elf64_Dyn){ .d_tag = DT_STRTAB, .d_un.d_ptr = 0x10000 + 3072 };
        dyn[2] = (Elf64_Dyn){ .d_tag = DT_RUNPATH, .d_un.d_val = 13 };
        dyn[3] = (Elf64_Dyn){ .d_tag = DT_NEEDED, .d_un.d_val = 28 };
        dyn[4] = (Elf64_Dyn){ .d_tag = DT_NULL };
        memcpy(img + 2048, interp, sizeof(interp));
        memcpy(img + 3072, strtab, sizeof(strtab));
}

static int parse_img(size_t size, struct lockd_elf *e)
{
        return lockd_elf_parse_mem(img, size, e);
}

static void test_image(void **state)
{
        struct lockd_elf e;

        build_image();
        assert_int_equal(parse_img(sizeof(img), &e), 0);
        assert_int_equal(e.elf_class, ELFCLASS64);
        assert_int_equal(e.machine, EM_X86_64);
        assert_int_equal(e.nload, 1);
        assert_string_equal(e.interp, "/lib64/ld-linux-x86-64.so.2");
        assert_int_equal(e.nneeded, 2);
        assert_string_equal(e.needed[0], "libfoo.so.1");
        assert_string_equal(e.needed[1], "libbar.so");
        assert_string_equal(e.runpath, "$ORIGIN/../lib");
        assert_null(e.rpath);
        lockd_elf_free(&e);
}

static void test_corrupt(void **state)
{
        struct lockd_elf e;
        Elf64_Ehdr *h = (Elf64_Ehdr *)img;
        Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(Elf64_Ehdr));
        Elf64_Dyn *dyn = (Elf64_Dyn *)(img + 1024);

        build_image();
        assert_int_equal(parse_img(40, &e), -ENOEXEC);          /* shorter than a header */
        img[0] = 'X';
        assert_int_equal(parse_img(sizeof(img), &e), -ENOEXEC); /* not ELF */
        build_image();
        h->e_ident[EI_DATA] = ELFDATA2MSB;
        assert_int_equal(parse_img(sizeof(img), &e), -ENOEXEC); /* other byte order */
        build_image();
        h->e_phentsize = 20;
        assert_int_equal(parse_img(sizeof(img), &e), -EINVAL);
        build_image();
        h->e_phnum = 300;
        assert_int_equal(parse_img(sizeof(img), &e), -EINVAL);
        build_image();
        h->e_phoff = sizeof(img) - 8;                             /* headers past the end */
        assert_int_equal(parse_img(sizeof(img), &e), -EINVAL);
        build_image();
        ph[0].p_filesz = 1u << 20;                                /* segment past the end */
        assert_int_equal(parse_img(sizeof(img), &e), -EINVAL);
        build_image();
        dyn[1].d_tag = DT_HASH;                                   /* DT_NEEDED without DT_STRTAB */
        assert_int_equal(parse_img(sizeof(img), &e), -EINVAL);
        build_image();
        dyn[1].d_un.d_ptr = 0x900000;                             /* string table outside PT_LOAD */
        assert_int_equal(parse_img(sizeof(img), &e), -EINVAL);
        build_image();
        memset(img + 3072, 'a', sizeof(img) - 3072);              /* strings without NUL */
        assert_int_equal(parse_img(sizeof(img), &e), -EINVAL);
        build_image();
        ph[2].p_offset = 4000;                                    /* interpreter without NUL */
        memset(img + 4000, 'b', sizeof(img) - 4000);
        assert_int_equal(parse_img(sizeof(img), &e), -EINVAL);
}

static void test_segments(void **state)
{
        struct lockd_elf e = { .nload = 4 };
        struct lockd_range r[8];
        unsigned n;

        e.load[0] = (struct lockd_range){ 0, 0x1234 };
        e.load[1] = (struct lockd_range){ 0x2050, 0x100 };
        e.load[2] = (struct lockd_range){ 0x8000, 0x10 };
        e.load[3] = (struct lockd_range){ 0x1000, 0x800 };
        n = lockd_elf_segments(&e, 0x8004, 4096, r, 8);
        assert_int_equal(n, 2);
        assert_true(r[0].offset == 0 && r[0].length == 0x3000);
        assert_true(r[1].offset == 0x8000 && r[1].length == 0x1000);
        /* Clipped at the end of the file (rounded up to a page). */
        n = lockd_elf_segments(&e, 0x2100, 4096, r, 8);
        assert_int_equal(n, 1);
        assert_true(r[0].offset == 0 && r[0].length == 0x3000);
}

static void test_self(void **state)
{
        struct lockd_elf e;
        struct stat st;
        bool libc = false;
        int fd = open("/proc/self/exe", O_RDONLY);

        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(lockd_elf_parse_fd(fd, (uint64_t)st.st_size, &e), 0);
        assert_non_null(e.interp);
        assert_true(e.nload >= 2);
        for (size_t i = 0; i < e.nneeded; i++)
                libc |= strcmp(e.needed[i], "libc.so.6") == 0;
        assert_true(libc);
        lockd_elf_free(&e);
        /* A text file is not ELF. */
        close(fd);
        fd = open("/proc/self/status", O_RDONLY);
        assert_int_equal(lockd_elf_parse_fd(fd, 4096, &e), -ENOEXEC);
        close(fd);
}

static void test_ldconf(void **state)
{
        static const char text[] =
                "# comment\n"
                "include ld.so.conf.d/*.conf /abs/*.conf\n"
                "/usr/local/lib   # trailing comment\n"
                "/opt/a:/opt/b,/opt/c/\n"
                "/opt/libc5=libc5\n"
                "hwcap 1 nosegneg\n"
                "relative/ignored\n"
                "/usr/local/lib\n";
        struct lockd_list dirs = {}, inc = {};

        assert_int_equal(lockd_ldconf_parse(text, "/etc", &dirs, &inc), 0);
        assert_int_equal(inc.n, 2);
        assert_string_equal(inc.items[0], "/etc/ld.so.conf.d/*.conf");
        assert_string_equal(inc.items[1], "/abs/*.conf");
        assert_int_equal(dirs.n, 5);
        assert_string_equal(dirs.items[0], "/usr/local/lib");
        assert_string_equal(dirs.items[1], "/opt/a");
        assert_string_equal(dirs.items[3], "/opt/c");
        assert_string_equal(dirs.items[4], "/opt/libc5");
        lockd_list_free(&dirs);
        lockd_list_free(&inc);
}

static void test_rpath_expand(void **state)
{
        char out[64];

        assert_int_equal(lockd_rpath_expand("$ORIGIN/../lib", "/usr/bin", out, sizeof(out)), 0);
        assert_string_equal(out, "/usr/bin/../lib");
        assert_int_equal(lockd_rpath_expand("${ORIGIN}/x", "/o", out, sizeof(out)), 0);
        assert_string_equal(out, "/o/x");
        assert_int_equal(lockd_rpath_expand("/plain", "/o", out, sizeof(out)), 0);
        assert_string_equal(out, "/plain");
        assert_int_equal(lockd_rpath_expand("/usr/$LIB", "/o", out, sizeof(out)), -EINVAL);
        assert_int_equal(lockd_rpath_expand("$ORIGINAL", "/o", out, sizeof(out)), -EINVAL);
        assert_int_equal(lockd_rpath_expand("$ORIGIN/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "/o", out,
                                            sizeof(out)), -ENAMETOOLONG);
}

/* The path of this process's libc, from its maps. */
static void own_libc(char *out, size_t size)
{
        FILE *f = fopen("/proc/self/maps", "r");
        char line[512];

        out[0] = '\0';
        while (f && fgets(line, sizeof(line), f)) {
                char *p = strchr(line, '/');
                if (p && strstr(p, "/libc.so.6")) {
                        p[strcspn(p, "\n")] = '\0';
                        snprintf(out, size, "%s", p);
                        break;
                }
        }
        if (f)
                fclose(f);
        if (!out[0])
                fail_msg("no libc.so.6 in /proc/self/maps");
}

static void test_resolve(void **state)
{
        char *root = tree_make();
        char libc[512], out[512];
        struct lockd_list dirs = {};
        struct lockd_elf self, runp;
        struct stat st;
        int fd = open("/proc/self/exe", O_RDONLY);

        own_libc(libc, sizeof(libc));
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(lockd_elf_parse_fd(fd, (uint64_t)st.st_size, &self), 0);
        close(fd);
        tree_write(root, "etc/ld.so.conf", "include ld.so.conf.d/*.conf\n/first\n");
        tree_write(root, "etc/ld.so.conf.d/a.conf", "/opt/lib\n");
        tree_write(root, "first/libc.so.6", "not an ELF file\n"); /* skipped, as ld.so does */
        tree_copy(root, "opt/lib/libc.so.6", libc);
        assert_int_equal(lockd_libdirs_load(tree_fd(root), &dirs), 0);
        assert_string_equal(dirs.items[0], "/first");
        assert_string_equal(dirs.items[1], "/opt/lib");
        assert_string_equal(dirs.items[dirs.n - 1], "/usr/lib"); /* defaults last */
        assert_int_equal(lockd_lib_resolve(tree_fd(root), "libc.so.6", &self, "/bin", &self, "/bin", &dirs, out, sizeof(out)), 0);
        assert_string_equal(out, "/opt/lib/libc.so.6");
        assert_int_equal(lockd_lib_resolve(tree_fd(root), "libnothere.so", &self, "/bin", &self, "/bin", &dirs, out,
                                           sizeof(out)), -ENOENT);
        /* DT_RUNPATH with $ORIGIN comes before the system directories. */
        runp = self;
        runp.runpath = (char *)"$ORIGIN/../rl";
        runp.rpath = NULL;
        tree_copy(root, "app/rl/libc.so.6", libc);
        tree_mkdir(root, "app/bin");
        assert_int_equal(lockd_lib_resolve(tree_fd(root), "libc.so.6", &runp, "/app/bin", &runp, "/app/bin", &dirs, out,
                                           sizeof(out)), 0);
        assert_string_equal(out, "/app/bin/../rl/libc.so.6");
        /* A name with a slash is taken as it is. */
        assert_int_equal(lockd_lib_resolve(tree_fd(root), "/opt/lib/libc.so.6", &self, "/", &self, "/", &dirs, out,
                                           sizeof(out)), 0);
        lockd_elf_free(&self);
        lockd_list_free(&dirs);
        tree_remove(root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_image),
                cmocka_unit_test(test_corrupt),
                cmocka_unit_test(test_segments),
                cmocka_unit_test(test_self),
                cmocka_unit_test(test_ldconf),
                cmocka_unit_test(test_rpath_expand),
                cmocka_unit_test(test_resolve),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
