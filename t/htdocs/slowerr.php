<?php
// A slow request with one warning and one caught exception.
usleep(80000);
trigger_error("slow warning", E_USER_WARNING);
try { throw new LogicException("x"); } catch (LogicException $e) {}
echo "slow";
