/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A main() for the fuzz targets without libFuzzer: each argument, a file or
 * a directory of files, is run through LLVMFuzzerTestOneInput() once. Every
 * normal build links the targets with this to replay their seed corpora, so
 * CI without clang still catches a change that breaks a seed.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	static uint8_t buf[1 << 20]; /* larger than any seed; the rest is cut */
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f) {
		perror(path);
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

static int replay(const char *path)
{
	char child[4096];
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int r = 0;

	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return replay_file(path);
	dir = opendir(path);
	if (!dir) {
		perror(path);
		return -1;
	}
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.') {
			snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
			if (replay_file(child) < 0)
				r = -1;
		}
	closedir(dir);
	return r;
}

int main(int argc, char **argv)
{
	int failed = 0;

	for (int i = 1; i < argc; i++)
		if (replay(argv[i]) < 0)
			failed++;
	fprintf(stderr, "replayed %d inputs, %d unreadable\n", argc - 1 - failed, failed);
	return failed ? 1 : 0;
}
