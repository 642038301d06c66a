<?php
function f_16() { return 16; }
