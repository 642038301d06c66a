#ifndef PHPBPF_RENDER_TESTS_H
#define PHPBPF_RENDER_TESTS_H

/* The renderers on hand-made reports. */
void render_tests(void);

#endif
