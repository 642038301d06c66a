#ifndef PHPBPF_BUILDID_TESTS_H
#define PHPBPF_BUILDID_TESTS_H

void buildid_tests(void);

#endif
