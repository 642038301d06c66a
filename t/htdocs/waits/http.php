<?php
// An HTTP peer that answers after 200 ms.
$t = hrtime(true);
$body = file_get_contents('http://127.0.0.1:' . (int)$_GET['port'] . '/');
echo intdiv(hrtime(true) - $t, 1000);
