<?php
// 30 distinct files, each compiled once per request when opcache is off.
$sum = 0;
for ($i = 1; $i <= 30; $i++) {
    include sprintf('%s/inc%02d.php', __DIR__, $i);
    $sum += call_user_func(sprintf('f_%02d', $i));
}
echo $sum;
