<?php
function f_05() { return 5; }
