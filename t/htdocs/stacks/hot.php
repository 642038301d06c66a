<?php
// {main} -> Outer::run -> Hot::crunch, which spins for 300 ms in PHP code.
class Hot {
    public static function crunch($ms) {
        $end = microtime(true) + $ms / 1000;
        $x = 0;
        do {
            for ($i = 0; $i < 200000; $i++) { $x += $i & 7; } // LOOP
        } while (microtime(true) < $end);
        return $x;
    }
}
class Outer {
    public function run() { return Hot::crunch(300); }
}
echo (new Outer())->run() > 0 ? "hot" : "cold";
