<?php
function f_11() { return 11; }
