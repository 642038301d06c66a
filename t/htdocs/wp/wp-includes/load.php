<?php
function wp_load_run()
{
    slowplug_work();
    \Acme\Widget::spin();
    fastmod_work();
}
