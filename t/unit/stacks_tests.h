#ifndef PHPBPF_STACKS_TESTS_H
#define PHPBPF_STACKS_TESTS_H

/* The profile and the stacks section of the protocol. */
void stacks_tests(void);

#endif
