<?php
function slowplug_work()
{
    $end = hrtime(true) + 50000000;
    while (hrtime(true) < $end)
        md5('slowplug');
}
