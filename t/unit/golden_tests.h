#ifndef PHPBPF_GOLDEN_TESTS_H
#define PHPBPF_GOLDEN_TESTS_H

void golden_tests(void);

#endif
