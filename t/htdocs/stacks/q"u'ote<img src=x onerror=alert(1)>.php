<?php
// A file and a class whose names are hostile: markup, quotes, bytes that are not UTF-8.
class Evilÿþ {
    public function spin() {
        $end = microtime(true) + 0.25;
        $x = 0;
        while (microtime(true) < $end) { for ($i = 0; $i < 100000; $i++) { $x += $i; } }
        return $x;
    }
}
(new Evilÿþ())->spin();
echo "evil";
