<?php
// Laid out like WordPress (t/65stacks.t, components): core calls the
// plugin slowplug, which spins 50 ms, and a Composer package spins 5.
require __DIR__ . '/wp-includes/load.php';
require __DIR__ . '/wp-content/plugins/slowplug/slowplug.php';
require __DIR__ . '/vendor/acme/widget/src/Widget.php';
require __DIR__ . '/modules/contrib/fastmod/fastmod.php';
wp_load_run();
echo "wp";
