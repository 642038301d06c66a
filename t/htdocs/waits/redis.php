<?php
// A blocking BLPOP with a 0.1 s timeout, four times.  Debian's phpredis
// 5.3 takes only whole seconds in blPop(); Redis itself takes 0.1.
$waited = 0;
$r = new Redis();
$t = hrtime(true);
$r->connect('127.0.0.1', (int)$_GET['port']);
for ($i = 0; $i < 4; $i++)
    $r->rawCommand('BLPOP', 'phpbpf-nothing', '0.1');
$waited = hrtime(true) - $t;
echo intdiv($waited, 1000);
