<?php
function f_21() { return 21; }
