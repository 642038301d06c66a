<?php
// A Drupal-style contributed module, outside WordPress's and Composer's
// layouts: named by PhpBpfComponent /modules/contrib/*/ "module *".
function fastmod_work()
{
    $end = hrtime(true) + 2000000;
    while (hrtime(true) < $end)
        md5('fastmod');
}
