#ifndef PHPBPF_ROUTE_TESTS_H
#define PHPBPF_ROUTE_TESTS_H

void route_tests(void);

#endif
