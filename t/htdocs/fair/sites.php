<?php
// n waits, each at a call site of its own: n lines of eval'd code, each
// an usleep() of its own opline (t/64fair.t).
$n = (int)($_GET['n'] ?? 100);
eval(str_repeat("usleep(1);\n", $n));
echo "waited $n\n";
