<?php
// Spins 50 ms, then waits 5 ms: its time and its waits are the plugin's.
function slowplug_work()
{
    $end = hrtime(true) + 50000000;
    while (hrtime(true) < $end)
        md5('slowplug');
    usleep(5000);
}
