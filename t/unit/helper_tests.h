#ifndef PHPBPF_HELPER_TESTS_H
#define PHPBPF_HELPER_TESTS_H

void helper_tests(void);

#endif
