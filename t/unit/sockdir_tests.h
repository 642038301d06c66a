#ifndef PHPBPF_SOCKDIR_TESTS_H
#define PHPBPF_SOCKDIR_TESTS_H

void sockdir_tests(void);

#endif
