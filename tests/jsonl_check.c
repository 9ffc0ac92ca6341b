/* jsonl_check.c: a helper for tests/ux.sh that reads JSON Lines with jansson.
 *
 *   jsonl_check lines FILE [KEY]   every line of FILE is one JSON object; prints the
 *                                  line count, or KEY's value of each line (strings
 *                                  as they are, anything else as compact JSON)
 *   jsonl_check equal JSON FILE N  the document in JSON equals line N (from 1) of
 *                                  FILE, as JSON values
 *
 * Exit status: 0 yes, 1 no (with the reason on stderr), 2 usage.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The next line of f without its newline, malloc'ed; NULL at the end. */
static char *
next_line(FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);

	if (n < 0) {
		free(line);
		return NULL;
	}
	if (n && line[n - 1] == '\n')
		line[n - 1] = '\0';
	return line;
}

static json_t *
parse_line(const char *line, long no)
{
	json_error_t e;
	json_t *v = json_loads(line, JSON_REJECT_DUPLICATES, &e);

	if (!v)
		fprintf(stderr, "line %ld: not JSON: %s\n", no, e.text);
	else if (!json_is_object(v)) {
		fprintf(stderr, "line %ld: not an object\n", no);
		json_decref(v);
		v = NULL;
	}
	return v;
}

static int
lines(const char *path, const char *key)
{
	FILE *f = fopen(path, "r");
	char *line;
	long no = 0;
	int rc = 0;

	if (!f) {
		perror(path);
		return 1;
	}
	while (rc == 0 && (line = next_line(f))) {
		json_t *v = parse_line(line, ++no), *x;

		free(line);
		if (!v) {
			rc = 1;
			break;
		}
		if (key) {
			x = json_object_get(v, key);
			if (json_is_string(x)) {
				puts(json_string_value(x));
			} else if (x) {
				json_dumpf(x, stdout, JSON_COMPACT | JSON_ENCODE_ANY);
				putchar('\n');
			} else {
				fprintf(stderr, "line %ld: no key '%s'\n", no, key);
				rc = 1;
			}
		}
		json_decref(v);
	}
	fclose(f);
	if (rc == 0 && !key)
		printf("%ld\n", no);
	return rc;
}

static int
equal(const char *json_path, const char *path, long want)
{
	json_error_t e;
	json_t *a = json_load_file(json_path, JSON_REJECT_DUPLICATES, &e), *b = NULL;
	FILE *f = fopen(path, "r");
	char *line;
	long no = 0;
	int rc = 1;

	if (!a)
		fprintf(stderr, "%s: not JSON: %s\n", json_path, e.text);
	if (!f)
		perror(path);
	while (a && f && (line = next_line(f))) {
		if (++no == want)
			b = parse_line(line, no);
		free(line);
		if (no == want)
			break;
	}
	if (a && b) {
		rc = !json_equal(a, b);
		if (rc)
			fprintf(stderr, "%s and line %ld of %s differ\n", json_path, want, path);
	} else if (a && f && no < want) {
		fprintf(stderr, "%s has %ld lines, not %ld\n", path, no, want);
	}
	json_decref(a);
	json_decref(b);
	if (f)
		fclose(f);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc >= 3 && argc <= 4 && !strcmp(argv[1], "lines"))
		return lines(argv[2], argc == 4 ? argv[3] : NULL);
	if (argc == 5 && !strcmp(argv[1], "equal"))
		return equal(argv[2], argv[3], atol(argv[4]));
	fprintf(stderr, "usage: jsonl_check lines FILE [KEY] | equal JSON FILE N\n");
	return 2;
}
