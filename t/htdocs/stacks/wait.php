<?php
// A request stuck in a sleep: its backtrace must show where.
class Waiter {
    public function wait() {
        usleep(500000); // CALL
    }
}
function outer() { (new Waiter())->wait(); }
outer();
echo "waited";
