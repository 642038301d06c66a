<?php
namespace Acme;

class Widget
{
    public static function spin()
    {
        $end = hrtime(true) + 5000000;
        while (hrtime(true) < $end)
            md5('widget');
    }
}
