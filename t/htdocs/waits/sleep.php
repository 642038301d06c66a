<?php
$t = hrtime(true);
usleep(100000);
echo intdiv(hrtime(true) - $t, 1000);
