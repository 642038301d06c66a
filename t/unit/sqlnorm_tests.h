#ifndef PHPBPF_SQLNORM_TESTS_H
#define PHPBPF_SQLNORM_TESTS_H

/* The SQL normaliser (common/sqlnorm.c): its canonical form, that no
 * literal survives it, its bounds on long and hostile input. */
void sqlnorm_tests(void);

#endif
