<?php
class Runner {
    public static function run(callable $f) {
        return $f();
    }
}
