<?php
// Burns about 100 ms of CPU.
$end = hrtime(true) + 100e6;
$x = 0;
while (hrtime(true) < $end) { $x++; }
echo "spun";
