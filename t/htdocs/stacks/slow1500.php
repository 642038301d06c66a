<?php
// 1.5 s asleep in a function: php-fpm's slowlog (request_slowlog_timeout
// 1s) and the module's slow log both catch it there (t/73fpm.t).
function nap() { usleep(1500000); }
nap();
echo "slept";
