<?php
// A persistent connection: opened by the first request of this child,
// reused by the next ones.
$t = hrtime(true);
$db = new mysqli('p:127.0.0.1', 'root', '', '', (int)$_GET['port']);
$db->query('SELECT SLEEP(0.1)');
echo intdiv(hrtime(true) - $t, 1000), ' ', $db->thread_id;
