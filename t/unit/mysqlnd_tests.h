#ifndef PHPBPF_MYSQLND_TESTS_H
#define PHPBPF_MYSQLND_TESTS_H

void mysqlnd_tests(void);

#endif
