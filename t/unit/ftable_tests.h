#ifndef PHPBPF_FTABLE_TESTS_H
#define PHPBPF_FTABLE_TESTS_H

void ftable_tests(void);

#endif
